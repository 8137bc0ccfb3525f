import type { Kysely } from 'kysely';
import { createAnalyticsService, type AnalyticsService } from '../../internal/analytics/analytics-service.ts';
import { issueCredential } from '../../internal/auth/credential-repository.ts';
import type { Database } from '../../internal/db/schema.ts';
import { getBatchView, type BatchView } from '../../internal/delivery/batch-view.ts';
import { listBatches, type BatchListFilter } from '../../internal/delivery/batch-list.ts';
import { createDeliveryService, type DeliveryService } from '../../internal/delivery/delivery-service.ts';
import type { Page, PageRequest } from '../../internal/db/keyset-page.ts';
import { listOrders, type OrderListFilter } from '../../internal/orders/order-list.ts';
import type { OrderWithDispatch } from '../../internal/orders/order-repository.ts';
import { createOrderService, type OrderService } from '../../internal/orders/order-service.ts';
import { regretStats, type RegretStats } from '../../internal/orders/regret-stats.ts';
import { slaStats, type SlaStats } from '../../internal/orders/sla-stats.ts';
import type { Clock } from '../../internal/platform/clock.ts';
import { unavailable } from '../../internal/platform/errors.ts';
import type { Logger } from '../../internal/platform/logger.ts';
import type { RiderAvailabilityPort } from '../../internal/riders/rider-availability.ts';
import type { Router } from '../../internal/routing/router.ts';
import { listRiders, type RiderListFilter } from '../../internal/riders/rider-list.ts';
import { createRiderService, type RiderService, type RiderView } from '../../internal/riders/rider-service.ts';
import { createStoreService, type StoreService } from '../../internal/stores/store-service.ts';

/** The domain services the routes call. Handlers stay thin: parse, call one service method, shape the answer. */
export interface ApiServices {
  stores: StoreService;
  riders: RiderService;
  orders: OrderService;
  delivery: DeliveryService;
  batches: { get(id: string): Promise<BatchView> };
  stats: { regret(): Promise<RegretStats>; sla(windowMinutes: number): Promise<SlaStats> };
  /** Delivery analytics (`GET /analytics/…`). */
  analytics: AnalyticsService;
  /** Store keys and rider tokens issued by the API (`POST /stores`, `POST /riders`, `POST /riders/{id}/token`). */
  credentials: { issue(kind: 'store' | 'rider', subjectId: string, label: string): Promise<string> };
  /** The list endpoints: one page, newest first, of what matches the filter (internal/db/keyset-page.ts). */
  lists: {
    orders(filter: OrderListFilter, page: PageRequest): Promise<Page<OrderWithDispatch>>;
    riders(filter: RiderListFilter, page: PageRequest): Promise<Page<RiderView>>;
    batches(filter: BatchListFilter, page: PageRequest): Promise<Page<BatchView>>;
  };
}

export interface ApiServicesDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  /** The geo store (or the part of it riders and deliveries need). */
  geo: RiderAvailabilityPort;
  h3Resolution: number;
  /** Minutes from ready to the promised delivery when an order gives no `promised_at` (default 30). */
  deliveryPromiseMin?: number;
  /** How old the rider's GPS fix may be for a drop confirmation (config `delivery.fixMaxAgeMs`; default 60 s). */
  fixMaxAgeMs?: number | undefined;
  /** A road router (OSRM): drops no rider can reach are refused at placement. Leave out for the straight-line router. */
  roadRouter?: Pick<Router, 'reachability'> | undefined;
}

/** Builds every service over one database, clock and geo store. */
export function createApiServices(deps: ApiServicesDeps): ApiServices {
  const { db, clock, logger, geo } = deps;
  return {
    stores: createStoreService({ db, clock, h3Resolution: deps.h3Resolution }),
    riders: createRiderService({ db, clock, geo, logger }),
    orders: createOrderService({
      db,
      clock,
      logger,
      h3Resolution: deps.h3Resolution,
      ...(deps.deliveryPromiseMin !== undefined ? { deliveryPromiseMin: deps.deliveryPromiseMin } : {}),
      ...(deps.roadRouter ? { reachability: deps.roadRouter } : {}),
    }),
    delivery: createDeliveryService({
      db,
      clock,
      geo,
      logger,
      ...(deps.fixMaxAgeMs !== undefined ? { fixMaxAgeMs: deps.fixMaxAgeMs } : {}),
    }),
    batches: { get: (id) => getBatchView(db, id) },
    stats: { regret: () => regretStats(db), sla: (windowMinutes) => slaStats(db, clock.now(), windowMinutes) },
    analytics: createAnalyticsService(db, clock),
    credentials: {
      issue: async (kind, subjectId, label) => (await issueCredential(db, { kind, subjectId, label })).token,
    },
    lists: {
      orders: (filter, page) => listOrders(db, filter, page),
      riders: (filter, page) => listRiders(db, filter, page),
      batches: (filter, page) => listBatches(db, filter, page),
    },
  };
}

/**
 * The services, or a 503 when the app was built without them. Only the OpenAPI generator and the ops-route tests
 * build the app that way (the document depends on the routes, not on the adapters); the composed API always has them.
 */
export function servicesOf(deps: { services?: ApiServices | undefined }): ApiServices {
  if (!deps.services)
    throw unavailable('api.services_missing', 'this API instance was built without its domain services');
  return deps.services;
}
