"""Policy base: documents → measures, versions, hybrid search and enterprise matching."""
