// Client: see the module's files.
