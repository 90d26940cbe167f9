"""Relais engine: taxonomy, geography, text index, ranking and fit checks.

Importable without Flask: the web app feeds it plain :class:`PartnerRecord`
objects and renders what it returns.
"""
