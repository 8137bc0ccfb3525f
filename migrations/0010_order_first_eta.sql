-- Up Migration

-- The first drop time dispatch quoted for the order: the ETA of its drop in the batch's refined stops when the batch
-- was first sealed (or assigned, whichever wrote stops first). Later plans (a rider's own timing at assignment, a
-- re-seal after a merge) change the batch's stops and so `GET /orders/{id}`'s `eta`, never this column: it is what
-- /analytics/eta-accuracy holds the actual drop against. NULL until dispatch has quoted one.
ALTER TABLE orders ADD COLUMN first_eta_at timestamptz NULL;

-- Down Migration

ALTER TABLE orders DROP COLUMN first_eta_at;
