"""Base data types shared by every layer: versions now; inventory, findings and plans later."""

from kubecurrent.model.version import KubeVersion, KubeVersionField, MinorField, MinorVersion

__all__ = ["KubeVersion", "KubeVersionField", "MinorField", "MinorVersion"]
