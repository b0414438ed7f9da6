"""The SDK client the compat suites use: Kiln bugs fail fast instead of being replayed."""

from aistore.sdk import Client
from aistore.sdk.retry_config import RetryConfig
from tenacity import Retrying, stop_after_attempt, wait_fixed
from urllib3.util.retry import Retry


def fail_fast_client(url: str, read_timeout: float) -> Client:
    # The SDK's default policy replays a 5xx for ~90 s; a Kiln bug should fail fast instead.
    retry = RetryConfig(
        http_retry=Retry(total=1, backoff_factor=0.1, status_forcelist=[429, 500, 502, 503, 504],
                         connect=0, read=0),
        network_retry=Retrying(stop=stop_after_attempt(2), wait=wait_fixed(0.2), reraise=True),
    )
    return Client(url, timeout=(3, read_timeout), retry_config=retry)
