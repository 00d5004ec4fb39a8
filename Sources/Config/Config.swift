// Config: see the module's files.
