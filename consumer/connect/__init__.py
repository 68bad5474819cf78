"""The Connect GraphQL client: one long-lived httpx client, error classification, backoff."""

from consumer.connect.backoff import Backoff
from consumer.connect.classify import BatchRejected, classify_response
from consumer.connect.client import ConnectClient

__all__ = ["Backoff", "BatchRejected", "ConnectClient", "classify_response"]
