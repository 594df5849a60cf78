"""H2: Camunda vendor id ``h2``. Types only: SQLAlchemy has no H2 driver, so c7to8 cannot write
to H2; the module documents what Liquibase creates there (``TIMESTAMP(3) WITH TIME ZONE``,
``CLOB``, ``BOOLEAN``, ``BINARY LARGE OBJECT``, ``NUMERIC``) and exposes the vendor sizes.
Partial indexes are plain indexes on H2.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeEngine

from c7to8.dialects.base import C8Dialect, VendorProperties


class H2Dialect(C8Dialect):
    name = "h2"
    sqlalchemy_names = ()
    # db/vendor-properties/h2.properties
    properties = VendorProperties(
        vendor_id="h2",
        user_char_column_size=400,
        error_message_size=4000,
        tree_path_size=8191,
        variable_value_preview_size=8191,
    )

    def clob(self) -> TypeEngine[Any]:
        return sa.CLOB()

    def timestamp_tz(self) -> TypeEngine[Any]:
        return sa.TIMESTAMP(timezone=True)

    def blob(self) -> TypeEngine[Any]:
        return sa.BLOB()


DIALECT = H2Dialect()
