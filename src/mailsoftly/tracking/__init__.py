"""Tracking and analytics: page tags written at send time, the open pixel and click
redirects, durable event recording, machine-activity filtering and campaign reports."""
