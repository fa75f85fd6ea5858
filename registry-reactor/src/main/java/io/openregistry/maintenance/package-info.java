/**
 * Storage maintenance over the recorded placement of every blob: re-hashing stored blobs
 * ({@link io.openregistry.maintenance.Scrubber}), moving them to another backend online
 * ({@link io.openregistry.maintenance.Migrator}), and deleting the old copies once their grace
 * period has passed ({@link io.openregistry.maintenance.RetiredSweep}); and online garbage collection
 * of untagged manifests, unreferenced blob links and orphaned blobs
 * ({@link io.openregistry.maintenance.GarbageCollector}).
 */
package io.openregistry.maintenance;
