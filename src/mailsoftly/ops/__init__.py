"""Operating the service: support console, usage and device log, policy versions,
platform newsletters and metrics (issue 14)."""
