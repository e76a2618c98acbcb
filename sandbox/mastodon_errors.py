"""Mastodon's error answers (`Api::ErrorHandling`, Doorkeeper, `respond_with_error`) and
the messages of the errors the simulator gives, in Mastodon's words.

All are the core's `{"error": ...}` answers; what differs from pixelfed is which code a
kind of failure gets (422 for validation, 401 and 404 as a client expects).
"""

from __future__ import annotations

from sandbox.mastodon_api.answers import ApiAnswer, error_answer

TOO_MANY_REQUESTS = "Too many requests"
"""`I18n.t('errors.429')`."""
OUTSIDE_SCOPES = "This action is outside the authorized scopes"
NOT_READY = "Cannot attach files that have not finished processing. Try again in a moment!"
TOO_MANY_FILES = "Cannot attach more than {limit} files"
MEDIA_NOT_FOUND = "Media {ids} not found or already attached to another post"
FILE_TYPE_ERROR = "File type of uploaded media could not be verified"
PROCESSING_ERROR = "Error processing thumbnail for uploaded media"
IN_USAGE_ERROR = "Media attachment is currently used by a status"
REPLY_NOT_FOUND = "The post you are trying to reply to does not appear to exist."


def record_not_found() -> ApiAnswer:
    """`rescue_from ActiveRecord::RecordNotFound`."""
    return error_answer(404, "Record not found")


def not_found() -> ApiAnswer:
    """`not_found` -> `respond_with_error(404)` in API controllers."""
    return error_answer(404, "Not Found")


def validation_failed(*messages: str) -> ApiAnswer:
    """`ActiveRecord::RecordInvalid`: the model's full messages after "Validation failed: "."""
    return error_answer(422, f"Validation failed: {', '.join(messages)}")


def validation_error(message: str) -> ApiAnswer:
    """`Mastodon::ValidationError`: the bare message."""
    return error_answer(422, message)


def forbidden(message: str) -> ApiAnswer:
    return error_answer(403, message)


def invalid_token(description: str) -> ApiAnswer:
    """Doorkeeper's 401 (`doorkeeper_unauthorized_render_options`)."""
    header = f'Bearer realm="Doorkeeper", error="invalid_token", error_description="{description}"'
    return error_answer(401, description, {"WWW-Authenticate": header})
