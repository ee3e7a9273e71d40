/**
 * The bus carrying changes between replicas: one suite run against both implementations
 * (in-process, Redis on a private redis-server), then what only Redis can do — be shared by
 * several processes, hold a lease for one of them, and come back after a restart.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/logger.ts';
import { createBus, type Bus } from '../../subgraphs/requests/bus/index.ts';
import { startPrivateRedis, waitFor, type PrivateRedis } from './subscriptions-harness.ts';

const logger = createLogger('test', 'silent');
let redis: PrivateRedis;
const buses: Bus[] = [];
const namespace = `test-${randomBytes(4).toString('hex')}:`;

function bus(kind: 'in-process' | 'redis'): Bus {
  const created = createBus({ redisUrl: kind === 'redis' ? redis.url : undefined, namespace, logger });
  buses.push(created);
  return created;
}

beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  await redis?.stop();
});

describe.each(['in-process', 'redis'] as const)('Bus: %s', (kind) => {
  it('delivers each message, in order, to every subscriber of its channel and no other', async () => {
    const b = bus(kind);
    const first: string[] = [];
    const second: string[] = [];
    const elsewhere: string[] = [];
    await b.subscribe('request:A', (m) => first.push(m));
    await b.subscribe('request:A', (m) => second.push(m));
    await b.subscribe('request:B', (m) => elsewhere.push(m));
    for (let i = 0; i < 20; i++) await b.publish('request:A', String(i));
    await waitFor(() => first.length === 20 && second.length === 20, 'every message');
    expect(first).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(second).toEqual(first);
    expect(elsewhere).toEqual([]);
  });

  it('leaves a channel with its last subscriber', async () => {
    const b = bus(kind);
    const received: string[] = [];
    const leaveOne = await b.subscribe('service:X', (m) => received.push(`1:${m}`));
    const leaveTwo = await b.subscribe('service:X', (m) => received.push(`2:${m}`));
    expect(b.stats()).toEqual({ channels: 1, handlers: 2 });
    await leaveOne();
    expect(b.stats()).toEqual({ channels: 1, handlers: 1 });
    await leaveTwo();
    expect(b.stats()).toEqual({ channels: 0, handlers: 0 });
    await b.publish('service:X', 'late');
    expect(received).toEqual([]);
  });

  it('knows whether anyone subscribes', async () => {
    const b = bus(kind);
    const leave = await b.subscribe('request:C', () => undefined);
    expect(await b.hasSubscribers()).toBe(true);
    await leave();
  });

  it('isolates a subscriber that throws', async () => {
    const b = bus(kind);
    const received: string[] = [];
    await b.subscribe('request:D', () => {
      throw new Error('boom');
    });
    await b.subscribe('request:D', (m) => received.push(m));
    await b.publish('request:D', 'still delivered');
    await waitFor(() => received.length === 1, 'the message');
  });
});

describe('Redis bus across processes', () => {
  it('carries a message published by one replica to the subscribers of another', async () => {
    const [publisher, subscriber] = [bus('redis'), bus('redis')];
    const received: string[] = [];
    await subscriber.subscribe('request:E', (m) => received.push(m));
    expect(await publisher.hasSubscribers()).toBe(true);
    await publisher.publish('request:E', 'hello');
    await waitFor(() => received.length === 1, 'the message');
  });

  it('grants a lease to one replica at a time, and to a standby once the holder lets go', async () => {
    const [a, b] = [bus('redis'), bus('redis')];
    const name = `lease-${randomBytes(3).toString('hex')}`;
    const leaseA = a.lease(name, 600);
    await waitFor(() => leaseA.held(), 'the first lease');
    const leaseB = b.lease(name, 600);
    // B's first attempt is made at once and refused; it keeps trying every 200 ms.
    const probe = new Redis(redis.url);
    try {
      await waitFor(async () => (await probe.pttl(`${namespace}lease:${name}`)) > 0, 'the lease key');
    } finally {
      probe.disconnect();
    }
    expect(leaseB.held()).toBe(false);
    await leaseA.close();
    await waitFor(() => leaseB.held(), 'the standby to take over');
    expect(leaseA.held()).toBe(false);
    await leaseB.close();
  });

  it('after a Redis restart, reports the reconnection before delivering anything new', async () => {
    const [publisher, subscriber] = [bus('redis'), bus('redis')];
    const events: string[] = [];
    await subscriber.subscribe('request:F', (m) => events.push(`message:${m}`));
    subscriber.onReconnect(() => events.push('reconnected'));
    await publisher.publish('request:F', 'before');
    await waitFor(() => events.length === 1, 'the first message');

    await redis.kill();
    await redis.start();
    // Published as soon as the publisher is back, possibly before the subscriber is: lost or not,
    // it must never arrive before the reconnection is reported.
    await publisher.publish('request:F', 'after');
    await waitFor(() => events.includes('reconnected'), 'the reconnection');
    await waitFor(async () => {
      if (!events.includes('message:again')) await publisher.publish('request:F', 'again');
      return events.includes('message:again');
    }, 'a message after the restart');
    expect(events[0]).toBe('message:before');
    expect(events[1]).toBe('reconnected');
  });
});
