// One large answer sent as a stream of parts, each under a size limit, that
// a client puts back together with MergeFrom (protobuf's merge concatenates
// repeated fields in order and sets singular ones): e.g. a person's data
// export with 100,000 ledger entries, which as one message would exceed a
// client's default 4 MiB receive limit.
#ifndef RETAIL_COMMON_MESSAGE_PARTS_H_
#define RETAIL_COMMON_MESSAGE_PARTS_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "google/protobuf/message.h"

namespace retail {

// Splits `whole` into parts of at most `max_bytes` serialised (an element
// larger than that travels alone in its part): the first part holds every
// singular field, then each repeated field's elements follow in field
// order, in order. Merging the parts in order gives `whole` back. Always at
// least one part.
std::vector<std::unique_ptr<google::protobuf::Message>> SplitIntoParts(
    const google::protobuf::Message& whole, size_t max_bytes);

}  // namespace retail

#endif  // RETAIL_COMMON_MESSAGE_PARTS_H_
