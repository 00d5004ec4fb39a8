// Apps that import the client library get the wire types (Op, Reply, KeyValue, Errno...) too.
@_exported import Codec
