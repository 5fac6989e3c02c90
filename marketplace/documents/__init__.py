"""Documents of a group: charter, contract terms, minutes, each for its audience."""
