"""Madoguchi (窓口): digital services for a Japanese city hall."""
