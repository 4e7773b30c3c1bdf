"""Layer 5, operations: what a user asks for, built on the session and storage layers.

``configure``, ``logout``, ``profile_admin`` (list, show, delete, rename),
``migrate`` (with ``migration_plan`` and ``migration_run``), ``verification`` and
``doctor``. An operation never imports the seed API or the command line: a REST
client factory is passed in by the caller.
"""
