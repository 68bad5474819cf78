"""The Connect GraphQL client: one long-lived httpx client, error classification, backoff."""

from consumer.connect.backoff import Backoff
from consumer.connect.classify import classify_response
from consumer.connect.client import ConnectClient

__all__ = ["Backoff", "ConnectClient", "classify_response"]
