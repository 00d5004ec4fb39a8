// Routing: see the module's files.
