"""Base data types shared by every layer: versions, inventory, findings, plans.

The pydantic field types for versions live in ``kubecurrent.model.fields``: importing this
package does not import pydantic.
"""

from kubecurrent.model.version import KubeVersion, MinorVersion

__all__ = ["KubeVersion", "MinorVersion"]
