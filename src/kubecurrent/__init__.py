"""kubecurrent: keep fleets of Kubernetes clusters current without breaking what runs on them.

The public Python surface is what ``__all__`` lists; everything else is internal.
"""

from kubecurrent._version import __version__
from kubecurrent.errors import KubecurrentError
from kubecurrent.model import KubeVersion, MinorVersion

__all__ = ["KubeVersion", "KubecurrentError", "MinorVersion", "__version__"]
