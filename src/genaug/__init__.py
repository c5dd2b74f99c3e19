"""genaug."""
