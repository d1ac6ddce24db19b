"""Results: the versioned result schema, exports and plots."""
