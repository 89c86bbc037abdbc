"""Collectors: turn sources (a hand-written fleet spec, saved inventories, manifest files;
live clusters later) into inventories. Import the submodule you need, e.g.
``kubecurrent.collect.fleet_spec``."""
