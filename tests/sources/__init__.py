"""Tests for the sources layer."""
