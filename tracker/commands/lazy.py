"""A command listed by ``flask --help`` whose module is imported only when it runs."""
from __future__ import annotations

import importlib

import click


class LazyCommand(click.Command):
    """Stands for the command ``target`` ("module:attribute") in the list, with its one-line help;
    run, or asked for its own ``--help``, it hands over to the real command, options and subcommands."""

    def __init__(self, name: str, target: str, help: str):
        super().__init__(name, help=help)
        self.target = target

    def make_context(self, info_name, args, parent=None, **extra):
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        return command.make_context(info_name, args, parent=parent, **extra)
