// The store's reading side lives in CNCImageStore (the start path links it without
// libarchive); users of CNCImage see both as one module.
@_exported import CNCImageStore
