"""OPC UA: the virtual plant's server, and what a client shares with it.

- :mod:`.config`: typed settings with ``validate()``;
- :mod:`.nodeids`, :mod:`.points`, :mod:`.units`: how plant tags become nodes (the point table);
- :mod:`.security`, :mod:`.pki`, :mod:`.trust`: policies, certificates, client trust;
- :mod:`.server` (with :mod:`.address_space`, :mod:`.methods`, :mod:`.events`, :mod:`.writer`):
  the server the virtual plant exposes.
"""

from .config import OpcUaServerConfig
from .methods import METHODS
from .nodeids import NodeRef, application_uri, namespace_uri, parse_node_ref
from .pki import CertificatePair, ensure_certificate
from .points import OpcUaPoint, PointTable, point_table, served_equipment
from .security import SecurityMode, SecurityPolicy
from .server import OpcUaServer
from .trust import CertificateTrust, ClientTrust

__all__ = [
    "METHODS",
    "CertificatePair",
    "CertificateTrust",
    "ClientTrust",
    "NodeRef",
    "OpcUaPoint",
    "OpcUaServer",
    "OpcUaServerConfig",
    "PointTable",
    "SecurityMode",
    "SecurityPolicy",
    "application_uri",
    "ensure_certificate",
    "namespace_uri",
    "parse_node_ref",
    "point_table",
    "served_equipment",
]
