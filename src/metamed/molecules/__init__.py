"""Molecules as input (issue 23): SMILES columns, their featurisation, their meta-features.

RDKit is imported only when a molecule is read, so nothing here slows the
start-up of a command that sees no molecule.
"""
