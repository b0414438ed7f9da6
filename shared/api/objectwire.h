#pragma once

// Wire names of AIS's object and bucket actions beyond PUT/GET/HEAD/DELETE (copy, append,
// rename, promote, custom metadata, archive reads; bucket copy, rename, props, summary),
// spelled as AIS spells them (api/apc/{query,headers,actmsg}.go of the pinned snapshot).

namespace Kiln::Api {

namespace Query {
inline constexpr char ObjectTo[] = "object_to"; // copy/transform one object: destination uname
inline constexpr char BucketTo[] = "bck_to"; // copy/move a bucket: destination uname
inline constexpr char AppendType[] = "append_type"; // "append" | "flush"
inline constexpr char AppendHandle[] = "append_handle";
inline constexpr char NewCustom[] = "set-new-custom"; // PATCH: replace all custom keys
inline constexpr char Archpath[] = "archpath";
inline constexpr char Archmime[] = "archmime";
inline constexpr char Archregx[] = "archregx";
inline constexpr char Archmode[] = "archmode";
inline constexpr char EtlName[] = "etl_name";
inline constexpr char EtlArgs[] = "etl_args";
inline constexpr char EtlPipeline[] = "etl_pipeline";
inline constexpr char LatestVer[] = "latest-ver";
inline constexpr char Synchronize[] = "synchronize";
inline constexpr char MptUploadId[] = "uploadId";
inline constexpr char MptPartNo[] = "partNumber";
inline constexpr char Uuid[] = "uuid";
inline constexpr char FltPresence[] = "presence";
inline constexpr char BsummRemote[] = "bsumm_remote";
inline constexpr char ConfirmFshare[] = "confirm-fshr";
} // namespace Query

inline constexpr char AppendOp[] = "append";
inline constexpr char FlushOp[] = "flush";

namespace Header {
inline constexpr char AppendHandle[] = "Ais-Append-Handle";
inline constexpr char XactionId[] = "Ais-Xaction-Id";
inline constexpr char BucketSumm[] = "Ais-Bucket-Summ";
inline constexpr char PutApndArchFlags[] = "Ais-Pine";
inline constexpr char BlobDownload[] = "Ais-Blob-Download";
} // namespace Header

namespace Action {
inline constexpr char RenameObject[] = "rename-obj";
inline constexpr char Promote[] = "promote";
inline constexpr char CheckLock[] = "check-lock";
inline constexpr char BlobDownload[] = "blob-download";
inline constexpr char MptUpload[] = "mpt-upload";
inline constexpr char MptComplete[] = "mpt-complete";
inline constexpr char MptAbort[] = "mpt-abort";
inline constexpr char EvictObjects[] = "evict-listrange";
inline constexpr char DeleteObjects[] = "delete-listrange";
inline constexpr char CopyBucket[] = "copy-bck";
inline constexpr char CopyListRange[] = "copy-listrange";
inline constexpr char MoveBucket[] = "move-bck";
inline constexpr char SetBprops[] = "set-bprops";
inline constexpr char ResetBprops[] = "reset-bprops";
inline constexpr char SummaryBucket[] = "summary-bck";
} // namespace Action

inline constexpr char KindCopyBucket[] = "copy-bck";
inline constexpr char KindCopyListRange[] = "copy-listrange";
inline constexpr char KindMoveBucket[] = "move-bck";
// Brings a mirrored bucket's objects to mirror.copies copies (AIS apc.ActMakeNCopies).
inline constexpr char KindMakeNCopies[] = "make-n-copies";
inline constexpr char KindSummary[] = "summary";

// AIS's object checksum types (cmn/cos/cksum.go).
namespace Checksum {
inline constexpr char None[] = "none";
inline constexpr char Xxhash[] = "xxhash";
inline constexpr char Xxhash2[] = "xxhash2";
inline constexpr char Md5[] = "md5";
inline constexpr char Crc32c[] = "crc32c";
inline constexpr char Sha256[] = "sha256";
inline constexpr char Sha512[] = "sha512";
} // namespace Checksum

} // namespace Kiln::Api
