"""Layer 5, operations: what a user asks for, built on the session and storage layers.

An operation never imports the seed API or the command line: the caller passes a REST
client factory in.
"""
