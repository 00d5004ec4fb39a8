// Imaging: see the module's files.
