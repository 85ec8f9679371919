"""Test suite for lydspor."""
