"""Python client for the retail customer-service gRPC API.

The generated modules sit beside this package, named after the proto
packages (they are generated at build time, see clients/python/CMakeLists.txt):

    from retail.customers.v1 import customers_pb2, customers_pb2_grpc
    from retail.events.v1 import events_pb2, events_pb2_grpc
    from google.rpc import error_details_pb2

This package adds what every caller needs around them: a channel that sends
the bearer token (and the acting staff id) on every call, the stubs of every
service, request ids, and the google.rpc error details of a failed call.

    import retail_client
    with retail_client.Client("127.0.0.1:50051", token) as client:
        reply = client.customers.CreateCustomer(
            customers_pb2.CreateCustomerRequest(
                customer=customers_pb2.Customer(display_name="Wang", branch_id="B001"),
                request_id=retail_client.new_request_id()),
            timeout=10)
"""

import os
import uuid

import grpc

from google.rpc import error_details_pb2, status_pb2
from retail.audit.v1 import audit_pb2_grpc
from retail.complaints.v1 import complaints_pb2_grpc
from retail.customers.v1 import customers_pb2_grpc
from retail.events.v1 import events_pb2_grpc
from retail.feedback.v1 import feedback_pb2_grpc
from retail.orders.v1 import orders_pb2_grpc
from retail.server.v1 import server_info_pb2_grpc

__all__ = ["Client", "DEFAULT_ADDRESS", "default_token", "new_request_id", "error_details"]

DEFAULT_ADDRESS = "127.0.0.1:50051"


def default_token():
    """The token retailctl uses: $RETAIL_TOKEN, else ~/.config/retailctl/token."""
    token = os.environ.get("RETAIL_TOKEN", "").strip()
    if token:
        return token
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    try:
        with open(os.path.join(config, "retailctl", "token"), encoding="utf-8") as f:
            return f.readline().strip()
    except OSError:
        return ""


def new_request_id():
    """A fresh idempotency key (8..64 of [A-Za-z0-9_-]). Keep it to retry a write."""
    return uuid.uuid4().hex


class _Metadata(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds fixed metadata (authorization, x-staff-id) to every call."""

    def __init__(self, metadata):
        self._metadata = tuple(metadata)

    def _details(self, details):
        metadata = tuple(details.metadata or ()) + self._metadata
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None),
                            getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)


class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):
        self.method = method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = credentials
        self.wait_for_ready = wait_for_ready
        self.compression = compression


class Client:
    """A channel to retail_server with the caller's token, and every service's stub.

    address: host:port. token: the bearer token (scripts/add-token prints one).
    staff_id: the person acting at a shared store token (sent as x-staff-id).
    root_certificates / private_key / certificate_chain (PEM bytes): TLS, and
    mTLS with a client certificate; without them the channel is plaintext,
    which the server accepts on loopback only.
    """

    def __init__(self, address=DEFAULT_ADDRESS, token=None, staff_id=None,
                 root_certificates=None, private_key=None, certificate_chain=None,
                 options=None):
        token = default_token() if token is None else token
        metadata = []
        if token:
            metadata.append(("authorization", "Bearer " + token))
        if staff_id:
            metadata.append(("x-staff-id", staff_id))
        if root_certificates or private_key or certificate_chain:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=root_certificates, private_key=private_key,
                certificate_chain=certificate_chain)
            channel = grpc.secure_channel(address, credentials, options=options)
        else:
            channel = grpc.insecure_channel(address, options=options)
        self._raw_channel = channel
        self.channel = grpc.intercept_channel(channel, _Metadata(metadata))
        self.customers = customers_pb2_grpc.CustomerServiceStub(self.channel)
        self.orders = orders_pb2_grpc.OrderServiceStub(self.channel)
        self.complaints = complaints_pb2_grpc.ComplaintServiceStub(self.channel)
        self.events = events_pb2_grpc.EventServiceStub(self.channel)
        self.audit = audit_pb2_grpc.AuditServiceStub(self.channel)
        self.server_info = server_info_pb2_grpc.ServerInfoServiceStub(self.channel)
        self.feedback = feedback_pb2_grpc.FeedbackServiceStub(self.channel)

    def stub(self, stub_class):
        """Any generated stub class on this channel (for services added later)."""
        return stub_class(self.channel)

    def close(self):
        self._raw_channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


_DETAIL_TYPES = {
    "type.googleapis.com/google.rpc." + name: getattr(error_details_pb2, name)
    for name in ("ErrorInfo", "BadRequest", "RetryInfo", "DebugInfo", "QuotaFailure",
                 "PreconditionFailure", "RequestInfo", "ResourceInfo", "Help",
                 "LocalizedMessage")
}


def error_details(rpc_error):
    """The google.rpc details of a failed call (grpc.RpcError): a list of
    messages such as error_details_pb2.BadRequest (which fields were bad) or
    ErrorInfo (a stable reason such as "ETAG_MISMATCH"). Empty if none."""
    trailers = rpc_error.trailing_metadata() if hasattr(rpc_error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            details = []
            for any_detail in status.details:
                cls = _DETAIL_TYPES.get(any_detail.type_url)
                if cls is not None:
                    message = cls()
                    any_detail.Unpack(message)
                    details.append(message)
                else:
                    details.append(any_detail)
            return details
    return []
