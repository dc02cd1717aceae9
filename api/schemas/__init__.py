"""The API's own schemas: what requests may say and what answers look like.

They are not the stored events: the stored format can evolve behind them. The OpenAPI document is
generated from these classes (see `api.openapi`).
"""

from api.schemas.answers import *  # noqa: F403
from api.schemas.fields import *  # noqa: F403
from api.schemas.requests import *  # noqa: F403
