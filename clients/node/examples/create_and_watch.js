#!/usr/bin/env node
'use strict';
// Another team's program: create a customer and an order, then follow the
// event stream until both CREATED events have arrived.
//
//   node clients/node/examples/create_and_watch.js --addr 127.0.0.1:50051 --token "$TOKEN" \
//       [--after-sequence N] [--timeout 30] [--branch B001]
//
// Without --after-sequence the watch starts at the stream's present (taken
// before the writes); with it, it resumes after the sequence a previous run
// printed, so it sees every event since, and none twice. The last line is the
// sequence to pass back next time. Exit 0 when both events were seen, 1 on a
// timeout or an error.

const { parseArgs } = require('node:util');
const retail = require('..');

async function main() {
  const { values: args } = parseArgs({
    options: {
      addr: { type: 'string', default: process.env.RETAIL_ADDR || retail.DEFAULT_ADDRESS },
      token: { type: 'string' }, // default: $RETAIL_TOKEN, else ~/.config/retailctl/token
      branch: { type: 'string', default: 'B001' },
      'after-sequence': { type: 'string' },
      timeout: { type: 'string', default: '30' },
    },
  });
  const deadline = Date.now() + Number(args.timeout) * 1000;
  const left = () => Math.max(100, deadline - Date.now());
  const afterSequence = args['after-sequence'];

  const client = retail.connect({ address: args.addr, token: args.token });
  const seen = [];
  let lastSequence = afterSequence ? BigInt(afterSequence) : 0n; // int64 arrive as strings
  let stream;
  try {
    // Authenticate: any valid token may ask what the server is.
    const info = await client.call('serverInfo', 'GetServerInfo', {}, { timeoutMs: left() });
    console.log(`connected: retail_server ${info.version}, currency ${info.currency_code}`);

    // Watch first, so the writes below are certain to be in the stream.
    const request = { resource_types: ['customer', 'order'] };
    if (afterSequence) {
      request.after_sequence = afterSequence;
      console.log(`watching customer and order events after sequence ${afterSequence}`);
    } else {
      request.start = 'START_POSITION_NOW';
      console.log('watching customer and order events from now');
    }
    stream = client.events.WatchEvents(request, { deadline });

    // Messages are queued here and taken one at a time with next().
    const queue = [];
    let waiting = null;
    let ended = null;
    const wake = () => { if (waiting) { const w = waiting; waiting = null; w(); } };
    stream.on('data', (message) => { queue.push(message); wake(); });
    stream.on('error', (err) => { ended = err; wake(); });
    stream.on('end', () => { ended = ended || new Error('the server ended the event stream'); wake(); });
    const next = async () => {
      while (queue.length === 0) {
        if (ended) throw ended;
        await new Promise((resolve) => { waiting = resolve; });
      }
      return queue.shift();
    };
    const take = (message) => {
      for (const event of message.events) {
        seen.push(event);
        if (BigInt(event.sequence) > lastSequence) lastSequence = BigInt(event.sequence);
        console.log(`event ${event.sequence}: ${event.resource_type} ${event.event_type} ` +
          `${event.resource} revision ${event.revision} by ${event.principal}`);
      }
      const progress = BigInt(message.progress_sequence || '0');
      if (progress > lastSequence) lastSequence = progress;
    };

    take(await next()); // sent at once: the stream is live
    console.log(`stream live at sequence ${lastSequence}`);

    const { customer } = await client.call('customers', 'CreateCustomer', {
      customer: { display_name: 'Example Customer', branch_id: args.branch },
      request_id: retail.newRequestId(),
    }, { timeoutMs: left() });
    console.log(`created customers/${customer.customer_id}`);

    const { order } = await client.call('orders', 'CreateOrder', {
      order: {
        customer_id: customer.customer_id,
        branch_id: args.branch,
        channel: 'ORDER_CHANNEL_STORE',
        items: [{
          sku: 'A1001', name: 'T-shirt', quantity: 2,
          unit_price: { currency_code: info.currency_code, minor_units: 9900 },
        }],
      },
      request_id: retail.newRequestId(),
    }, { timeoutMs: left() });
    console.log(`created orders/${order.order_id} total ${order.total.minor_units} ` +
      `${order.total.currency_code} minor units`);

    const wanted = [`customers/${customer.customer_id}`, `orders/${order.order_id}`];
    const missing = () => wanted.filter(
      (r) => !seen.some((e) => e.resource === r && e.event_type === 'CREATED'));
    while (missing().length > 0) take(await next()); // DEADLINE_EXCEEDED when the time is up
    stream.cancel();

    console.log(`saw both CREATED events: ${wanted.join(', ')}`);
    console.log(`last sequence: ${lastSequence} (resume with --after-sequence ${lastSequence})`);
    return 0;
  } catch (err) {
    if (stream) stream.cancel();
    const name = Object.keys(retail.grpc.status).find((k) => retail.grpc.status[k] === err.code);
    const code = name ? `${name}: ` : '';
    console.error(`error: ${code}${name ? err.details : err.message}`);
    for (const detail of retail.errorDetails(err)) console.error(`  ${JSON.stringify(detail)}`);
    if (seen.length > 0) console.error(`last sequence: ${lastSequence} (resume with --after-sequence ${lastSequence})`);
    return 1;
  } finally {
    client.close();
  }
}

main().then((code) => { process.exitCode = code; });
