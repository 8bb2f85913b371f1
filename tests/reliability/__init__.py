"""Reliability suites: faults, outages, kill -9, concurrent readers, bad input and hostile input."""
