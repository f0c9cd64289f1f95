//! IIS: elements of each web.config in document order, `configSource` followed.
