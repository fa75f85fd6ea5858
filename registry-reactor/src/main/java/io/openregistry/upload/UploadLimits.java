package io.openregistry.upload;

/**
 * Bounds on what uploads may take; 0 means no limit.
 *
 * @param maxBlobBytes             the largest blob an upload may carry
 * @param maxSessionsPerOwner      open sessions one owner (account, or client address) may hold
 * @param maxSessionsPerRepository open sessions one repository may have
 */
public record UploadLimits(long maxBlobBytes, int maxSessionsPerOwner, int maxSessionsPerRepository) {
    public static final UploadLimits NONE = new UploadLimits(0, 0, 0);

    public UploadLimits {
        if (maxBlobBytes < 0 || maxSessionsPerOwner < 0 || maxSessionsPerRepository < 0) {
            throw new IllegalArgumentException("negative upload limit");
        }
    }
}
