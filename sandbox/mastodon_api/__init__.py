"""The Mastodon-API core that the pixelfed and Mastodon simulators share.

pixelfed speaks a Mastodon-compatible API, so both simulators answer the same endpoints
(instance, credentials, v1/v2 media, statuses, an account's statuses) over the same
plumbing. This package holds that common part:

- `server.py`: `MastodonApiSimulator`, the base of both simulators (clock, lock, fault
  knobs, request log, the route table of the shared endpoints, bearer-token lookup,
  dropped answers, test helpers) and `ApiMethods`, the endpoints each server implements;
- `state.py`: the records every Mastodon-API server keeps (accounts, tokens, media,
  statuses), the inspectable state and the Idempotency-Key store;
- `requests.py`: uploaded files, JSON bodies, content sniffing, the request log's view
  of parameters;
- `paging.py`: `max_id` / `since_id` / `min_id` paging and each server's rules for it;
- `answers.py`: JSON error answers and the entity pieces both servers render alike.

What differs between the two servers (pixelfed's 500s for validation errors, PHP's and
Rails' parameter parsing, Passport against Doorkeeper, pixelfed's `strip_tags` and
purifier, Mastodon's asynchronous media processing and rate limits) stays in their own
modules: `sandbox/pixelfed_*.py` and `sandbox/mastodon_*.py`.
"""
