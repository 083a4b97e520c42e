#!/usr/bin/python3
"""Another team's program: create a customer and an order, then follow the
event stream until both CREATED events have arrived.

  PYTHONPATH=build/python /usr/bin/python3 clients/python/examples/create_and_watch.py \
      --addr 127.0.0.1:50051 --token "$TOKEN" [--after-sequence N] [--timeout 30]

Without --after-sequence the watch starts at the stream's present (taken
before the writes); with it, it resumes after the sequence a previous run
printed, so it sees every event since, and none twice. The last line printed
is the sequence to pass back next time. Exit 0 when both events were seen,
1 on a timeout or an error.
"""

import argparse
import os
import sys
import time

import grpc
from google.protobuf import text_format

import retail_client
from retail.common.v1 import common_pb2
from retail.customers.v1 import customers_pb2
from retail.events.v1 import events_pb2
from retail.orders.v1 import orders_pb2
from retail.server.v1 import server_info_pb2


def main():
    parser = argparse.ArgumentParser(
        description="Create a customer and an order, then follow the event stream "
                    "until both CREATED events have arrived.")
    parser.add_argument("--addr", default=os.environ.get("RETAIL_ADDR", retail_client.DEFAULT_ADDRESS),
                        help="host:port (default: $RETAIL_ADDR, else 127.0.0.1:50051)")
    parser.add_argument("--token", default=None,
                        help="bearer token (default: $RETAIL_TOKEN, else ~/.config/retailctl/token)")
    parser.add_argument("--branch", default="B001", help="the branch of the customer and order")
    parser.add_argument("--after-sequence", type=int, default=None,
                        help="resume after this event sequence (printed by an earlier run)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for the whole run")
    args = parser.parse_args()

    deadline = time.monotonic() + args.timeout

    def left():
        return max(0.1, deadline - time.monotonic())

    seen = []
    last_sequence = args.after_sequence or 0
    with retail_client.Client(args.addr, token=args.token) as client:
        try:
            # Authenticate: any valid token may ask what the server is.
            info = client.server_info.GetServerInfo(server_info_pb2.GetServerInfoRequest(),
                                                    timeout=left())
            print(f"connected: retail_server {info.version}, currency {info.currency_code}")

            # Watch first, so the writes below are certain to be in the stream.
            request = events_pb2.WatchEventsRequest(resource_types=["customer", "order"])
            if args.after_sequence is not None:
                request.after_sequence = args.after_sequence
                print(f"watching customer and order events after sequence {args.after_sequence}")
            else:
                request.start = events_pb2.START_POSITION_NOW
                print("watching customer and order events from now")
            stream = client.events.WatchEvents(request, timeout=left())

            def take(message):
                nonlocal last_sequence
                for event in message.events:
                    seen.append(event)
                    last_sequence = max(last_sequence, event.sequence)
                    print(f"event {event.sequence}: {event.resource_type} {event.event_type} "
                          f"{event.resource} revision {event.revision} by {event.principal}")
                last_sequence = max(last_sequence, message.progress_sequence)

            take(next(stream))  # sent at once: the stream is live
            print(f"stream live at sequence {last_sequence}")

            customer = client.customers.CreateCustomer(
                customers_pb2.CreateCustomerRequest(
                    customer=customers_pb2.Customer(display_name="Example Customer",
                                                    branch_id=args.branch),
                    request_id=retail_client.new_request_id()),
                timeout=left()).customer
            print(f"created customers/{customer.customer_id}")

            order = client.orders.CreateOrder(
                orders_pb2.CreateOrderRequest(
                    order=orders_pb2.Order(
                        customer_id=customer.customer_id, branch_id=args.branch,
                        channel=orders_pb2.ORDER_CHANNEL_STORE,
                        items=[orders_pb2.OrderItem(
                            sku="A1001", name="T-shirt", quantity=2,
                            unit_price=common_pb2.Money(currency_code=info.currency_code,
                                                        minor_units=9900))]),
                    request_id=retail_client.new_request_id()),
                timeout=left()).order
            print(f"created orders/{order.order_id} total {order.total.minor_units} "
                  f"{order.total.currency_code} minor units")

            wanted = {f"customers/{customer.customer_id}", f"orders/{order.order_id}"}

            def missing():
                return wanted - {e.resource for e in seen if e.event_type == "CREATED"}

            while missing():
                take(next(stream))  # raises DEADLINE_EXCEEDED when the time is up
            stream.cancel()
        except (grpc.RpcError, StopIteration) as error:
            if isinstance(error, grpc.RpcError):
                print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
                for detail in retail_client.error_details(error):
                    text = text_format.MessageToString(detail, as_one_line=True)
                    print(f"  {type(detail).__name__}: {text}", file=sys.stderr)
            else:
                print("error: the server ended the event stream", file=sys.stderr)
            if seen:
                print(f"last sequence: {last_sequence} (resume with --after-sequence {last_sequence})",
                      file=sys.stderr)
            return 1

    print(f"saw both CREATED events: customers/{customer.customer_id}, orders/{order.order_id}")
    print(f"last sequence: {last_sequence} (resume with --after-sequence {last_sequence})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
