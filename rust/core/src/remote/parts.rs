//! How a replica is cut into multipart parts: always whole chunks, so part
//! boundaries are chunk boundaries and a part never waits on a chunk it
//! only partly holds.
use super::service::Service;

/// Chunks per part for an object of `count` chunks of `chunk_size` bytes:
/// enough to reach `part_size` (and S3's 5 MiB minimum), and to stay within
/// the service's part-count limit (10,000 parts on S3, 50,000 blocks on
/// Azure).
pub fn chunks_per_part(service: Service, part_size: u64, chunk_size: u64, count: u64) -> u64 {
    let (min_part, max_parts) = service.part_limits(part_size);
    let for_size = min_part.div_ceil(chunk_size.max(1));
    let for_count = count.div_ceil(max_parts);
    for_size.max(for_count).max(1)
}

#[cfg(all(test, feature = "s3", feature = "azure"))]
mod tests {
    use super::*;
    use crate::{azure, s3};

    const S3: Service = s3::SERVICE;
    #[allow(non_upper_case_globals)]
    const Azure: Service = azure::SERVICE;

    const MIB: u64 = 1 << 20;

    #[test]
    fn parts_are_whole_chunks_of_at_least_the_minimum() {
        assert_eq!(chunks_per_part(S3, 8 * MIB, 4 * MIB, 256), 2);
        assert_eq!(chunks_per_part(S3, 8 * MIB, MIB, 10), 8);
        assert_eq!(chunks_per_part(S3, 8 * MIB, 64 * MIB, 10), 1);
        assert_eq!(chunks_per_part(Azure, 8 * MIB, 3 * MIB, 10), 3);
        assert!(chunks_per_part(S3, 8 * MIB, 512, 10) * 512 >= s3::MIN_PART);
        assert_eq!(
            chunks_per_part(S3, MIB, 4 * MIB, 10),
            2,
            "S3's minimum wins"
        );
        assert_eq!(chunks_per_part(Azure, MIB, 4 * MIB, 10), 1);
        assert_eq!(chunks_per_part(S3, 32 * MIB, 4 * MIB, 10), 8);
    }

    #[test]
    fn huge_images_stay_within_the_part_limits() {
        // 1 TiB in 4 MiB chunks: 262,144 chunks.
        let count = (1u64 << 40) / (4 * MIB);
        let k = chunks_per_part(S3, 8 * MIB, 4 * MIB, count);
        assert!(count.div_ceil(k) <= s3::MAX_PARTS, "{k}");
        let k = chunks_per_part(Azure, 8 * MIB, 4 * MIB, count);
        assert!(count.div_ceil(k) <= azure::MAX_BLOCKS, "{k}");
    }
}
