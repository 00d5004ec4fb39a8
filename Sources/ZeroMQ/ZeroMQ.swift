// ZeroMQ: see the module's files.
