"""pactlog's HTTP API: the app factory (`api.app.create_app`), blueprints (`api.views`), error
handling (`api.errors`), the OpenAPI document (`api.openapi`) and the CLI (`api.cli`)."""
