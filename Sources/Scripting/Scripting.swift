// Scripting: see the module's files.
