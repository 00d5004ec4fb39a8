// OSDCore: see the module's files.
