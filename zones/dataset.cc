#include "zones/dataset.h"

#include "zones/answer_sink.h"

namespace fastrbl::zones {

bool Dataset::query_acl(const QueryKey& key, const AclOverride& acl, AnswerSink& out) const noexcept {
  if (acl.value == nullptr) return false;
  const unsigned f = flags();
  if (!(((f & kWantsIp4) && key.ip4) || ((f & kWantsIp6) && key.ip6) || ((f & kWantsName) && key.labels > 0)))
    return false;
  out.add_a_txt(*acl.value, *acl.vars, acl.client, acl.ttl);
  return true;
}

bool Dataset::write_image(ImageWriter& /*out*/) const { return false; }

}  // namespace fastrbl::zones
