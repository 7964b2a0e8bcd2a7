#include "fakes/fake_runtime.h"

#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "src/base/named_logger.h"
#include "src/oci/criu_images.h"
#include "src/oci/process_tree.h"

namespace crh {

using json = nlohmann::json;

namespace {

// The pages a dump of `pages` (pages-1.img's bytes) takes, as CRIU counts them: 4 KiB each.
uint64_t PageCount(const std::string& pages) { return (pages.size() + 4095) / 4096; }

// What CRIU 4.2.1 writes into stats-dump, with fixed times so a seed replays: every field it
// sets, as a real image has them (see src/oci/testdata).
criu::StatsEntry DumpStatsFor(const std::string& pages) {
  criu::StatsEntry e;
  criu::DumpStats* d = e.mutable_dump();
  d->set_freezing_time(100);
  d->set_frozen_time(300);
  d->set_memdump_time(150);
  d->set_memwrite_time(50);
  d->set_pages_scanned(PageCount(pages) + 2);
  d->set_pages_skipped_parent(0);
  d->set_pages_written(PageCount(pages));
  d->set_irmap_resolve(0);
  d->set_pages_lazy(0);
  d->set_page_pipes(1);
  d->set_page_pipe_bufs(1);
  d->set_shpages_scanned(0);
  d->set_shpages_skipped_parent(0);
  d->set_shpages_written(0);
  return e;
}

criu::StatsEntry RestoreStatsFor(const std::string& pages) {
  criu::StatsEntry e;
  criu::RestoreStats* r = e.mutable_restore();
  r->set_pages_compared(0);
  r->set_pages_skipped_cow(0);
  r->set_forking_time(50);
  r->set_restore_time(150);
  r->set_pages_restored(PageCount(pages));
  return e;
}

constexpr const char* kPagesMagic = "CRHPAGES1";
constexpr const char* kInventoryMagic = "CRHINVENTORY1";
// Pages are padded to a page so that a truncation anywhere is caught by the length check.
constexpr size_t kPageSize = 4096;

std::shared_ptr<spdlog::logger> Log() { return NamedLogger("fake_runtime"); }

uint64_t Fnv1a(const std::string& data) {
  uint64_t h = 1469598103934665603ull;
  for (char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// runc's rule: [\w+-.]+, and not a path component that cleans to something else.
bool ValidId(const std::string& id) {
  if (id.empty() || id == "." || id == "..") return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '+' && c != '-' &&
        c != '.') {
      return false;
    }
  }
  return true;
}

std::string StatusWord(RuntimeStatus s) { return std::string(RuntimeStatusName(s)); }

}  // namespace

FakeRuntime::FakeRuntime(FilesystemPtr fs, FaultPlanPtr plan)
    : fs_(std::move(fs)), plan_(plan ? std::move(plan) : std::make_shared<FaultPlan>()) {}

FakeRuntime::~FakeRuntime() = default;

std::optional<FaultRule> FakeRuntime::CheckSite(const char* site, const std::string& id) {
  auto rule = plan_->Check(site, id);
  if (rule) {
    Log()->info("injected fault at {} ({}) on {}", site, FaultEffectName(rule->effect), id);
  }
  return rule;
}

Status FakeRuntime::MaybeFail(const char* site, const std::string& id) {
  if (auto rule = CheckSite(site, id)) return FaultPlan::InjectedError(*rule, site, id);
  return Status::Ok();
}

Result<FakeRuntime::BundleFacts> FakeRuntime::ReadBundle(const std::string& bundle) {
  if (bundle.empty()) return InvalidArgument("no bundle given");
  const std::string path = JoinPath(bundle, "config.json");
  if (!fs_->Exists(path)) return NotFound(path + ": no such file (not an OCI bundle)");
  CRH_ASSIGN_OR_RETURN(std::string text, fs_->Read(path));
  // Same bytes, same answer: property runs create and restore from a handful of bundles
  // thousands of times, and parsing the spec each time dominated the fake's cost.
  if (auto hit = bundle_cache_.find(text); hit != bundle_cache_.end()) return hit->second;
  auto facts = ParseBundle(path, text);
  if (facts.ok()) bundle_cache_[text] = *facts;
  return facts;
}

Result<FakeRuntime::BundleFacts> FakeRuntime::ParseBundle(const std::string& path,
                                                          const std::string& text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument(path + ": not a JSON object (cannot parse the OCI spec)");
  }
  BundleFacts facts;
  if (auto ann = j.find("annotations"); ann != j.end() && ann->is_object()) {
    if (auto holds = ann->find(kHoldsAnnotation); holds != ann->end()) {
      if (!holds->is_string()) {
        return InvalidArgument(path + ": annotation " + kHoldsAnnotation + " is not a string");
      }
      std::stringstream words(holds->get<std::string>());
      for (std::string w; std::getline(words, w, ',');) {
        if (w == "tcp-established") {
          facts.holds.tcp_established = true;
        } else if (w == "file-locks") {
          facts.holds.file_locks = true;
        } else if (!w.empty()) {
          return InvalidArgument(path + ": annotation " + kHoldsAnnotation + ": unknown state \"" +
                                 w + "\" (known: tcp-established, file-locks)");
        }
      }
    }
  }
  auto linux_it = j.find("linux");
  if (linux_it == j.end() || !linux_it->is_object()) return facts;
  auto ns = linux_it->find("namespaces");
  if (ns == linux_it->end()) return facts;
  if (!ns->is_array()) return InvalidArgument(path + ": linux.namespaces is not an array");
  for (const json& n : *ns) {
    if (!n.is_object() || n.value("type", "") != "network") continue;
    auto p = n.find("path");
    if (p == n.end()) return facts;
    if (!p->is_string()) return InvalidArgument(path + ": network namespace path is not a string");
    facts.netns = p->get<std::string>();
    return facts;
  }
  return facts;
}

std::string FakeRuntime::HeldState::ToString() const {
  std::string s;
  if (tcp_established) s += "tcp-established";
  if (file_locks) s += std::string(s.empty() ? "" : ",") + "file-locks";
  return s;
}

Status FakeRuntime::Create(const std::string& id, const CreateOptions& opts) {
  CRH_RETURN_IF_ERROR(MaybeFail("runtime.create", id));
  if (!ValidId(id)) return InvalidArgument("create: invalid container id \"" + id + "\"");
  std::lock_guard<std::mutex> lock(mu_);
  if (containers_.count(id)) return AlreadyExists("create " + id + ": container id is taken");
  auto facts = ReadBundle(opts.bundle);
  if (!facts.ok()) return facts.status().WithContext("create " + id);
  containers_[id] = Container{.status = RuntimeStatus::kCreated,
                              .pid = next_pid_++,
                              .bundle = opts.bundle,
                              .netns = facts->netns,
                              .holds = facts->holds};
  return Status::Ok();
}

Status FakeRuntime::Start(const std::string& id) {
  CRH_RETURN_IF_ERROR(MaybeFail("runtime.start", id));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound("start " + id + ": container does not exist");
  if (it->second.status != RuntimeStatus::kCreated) {
    return FailedPrecondition("start " + id + ": cannot start a container in " +
                              StatusWord(it->second.status) + " state");
  }
  it->second.status = RuntimeStatus::kRunning;
  return Status::Ok();
}

Result<RuntimeState> FakeRuntime::State(const std::string& id) {
  CRH_RETURN_IF_ERROR(MaybeFail("runtime.state", id));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound("state " + id + ": container does not exist");
  const Container& c = it->second;
  return RuntimeState{.id = id,
                      .status = c.status,
                      .pid = c.status == RuntimeStatus::kStopped ? 0 : c.pid,
                      .bundle = c.bundle};
}

Status FakeRuntime::Kill(const std::string& id, int signal) {
  CRH_RETURN_IF_ERROR(MaybeFail("runtime.kill", id));
  if (signal < 0 || signal > 64) {
    return InvalidArgument("kill " + id + ": invalid signal " + std::to_string(signal));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound("kill " + id + ": container does not exist");
  if (it->second.status == RuntimeStatus::kStopped) {
    return FailedPrecondition("kill " + id + ": container not running");
  }
  if (signal == 9 || signal == 15) {
    it->second.status = RuntimeStatus::kStopped;
    it->second.exit_code = 128 + signal;
    it->second.execs.clear();  // they die with the container's pid namespace
  }
  return Status::Ok();
}

Status FakeRuntime::Exec(const std::string& id, const ExecOptions& opts) {
  CRH_RETURN_IF_ERROR(MaybeFail("runtime.exec", id));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound("exec " + id + ": container does not exist");
  if (it->second.status != RuntimeStatus::kRunning) {
    return FailedPrecondition("exec " + id + ": cannot exec in a " + StatusWord(it->second.status) +
                              " container");
  }
  if (opts.args.empty()) return InvalidArgument("exec " + id + ": no command");
  if (!opts.detach) return Status::Ok();  // it ran and exited 0
  Container& c = it->second;
  const std::string& argv0 = opts.args[0];
  const std::string comm = argv0.substr(argv0.find_last_of('/') + 1).substr(0, 15);
  const int pid = next_pid_++;
  c.execs.push_back({pid, static_cast<int>(c.execs.size()) + 2, comm, /*adopted=*/false});
  if (!opts.pid_file.empty()) {
    CRH_RETURN_IF_ERROR(
        fs_->WriteAtomic(opts.pid_file, std::to_string(pid)).WithContext("exec " + id));
  }
  return Status::Ok();
}

std::vector<int> FakeRuntime::ExecPids(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<int> out;
  auto it = containers_.find(id);
  if (it == containers_.end()) return out;
  for (const auto& e : it->second.execs) out.push_back(e.pid);
  return out;
}

Status FakeRuntime::AdoptExec(const std::string& id, int pid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound("adopt " + id + ": container does not exist");
  for (auto& e : it->second.execs) {
    if (e.pid == pid) {
      e.adopted = true;
      return Status::Ok();
    }
  }
  return NotFound("adopt " + id + ": no exec'd process " + std::to_string(pid));
}

Status FakeRuntime::Delete(const std::string& id, bool force) {
  CRH_RETURN_IF_ERROR(MaybeFail("runtime.delete", id));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound("delete " + id + ": container does not exist");
  const RuntimeStatus s = it->second.status;
  if (!force && (s == RuntimeStatus::kRunning || s == RuntimeStatus::kPaused)) {
    return FailedPrecondition("delete " + id + ": cannot delete container that is not stopped: " +
                              StatusWord(s));
  }
  containers_.erase(it);
  return Status::Ok();
}

Status FakeRuntime::Pause(const std::string& id) {
  CRH_RETURN_IF_ERROR(MaybeFail("runtime.pause", id));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound("pause " + id + ": container does not exist");
  if (it->second.status != RuntimeStatus::kRunning) {
    return FailedPrecondition("pause " + id + ": container not running (" +
                              StatusWord(it->second.status) + ")");
  }
  it->second.status = RuntimeStatus::kPaused;
  return Status::Ok();
}

Status FakeRuntime::Resume(const std::string& id) {
  CRH_RETURN_IF_ERROR(MaybeFail("runtime.resume", id));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound("resume " + id + ": container does not exist");
  if (it->second.status != RuntimeStatus::kPaused) {
    return FailedPrecondition("resume " + id + ": container not paused (" +
                              StatusWord(it->second.status) + ")");
  }
  it->second.status = RuntimeStatus::kRunning;
  return Status::Ok();
}

std::string FakeRuntime::EncodePages(uint64_t counter) {
  std::string body = "counter=" + std::to_string(counter) + "\n";
  body.resize(kPageSize, '.');
  return std::string(kPagesMagic) + " len=" + std::to_string(body.size()) + " sum=" +
         Hex(Fnv1a(body)) + "\n" + body;
}

Result<uint64_t> FakeRuntime::DecodePages(const std::string& data) {
  const size_t nl = data.find('\n');
  const std::string magic = std::string(kPagesMagic) + " len=";
  if (nl == std::string::npos || data.compare(0, magic.size(), magic) != 0) {
    return DataLoss("pages-1.img: bad header (" + std::to_string(data.size()) + " bytes)");
  }
  const std::string header = data.substr(0, nl);
  size_t len = 0;
  char sum[17] = {};
  if (std::sscanf(header.c_str() + magic.size(), "%zu sum=%16s", &len, sum) != 2) {
    return DataLoss("pages-1.img: bad header \"" + header + "\"");
  }
  const std::string body = data.substr(nl + 1);
  if (body.size() != len) {
    return DataLoss("pages-1.img truncated: header promises " + std::to_string(len) +
                    " bytes of pages, found " + std::to_string(body.size()));
  }
  if (Hex(Fnv1a(body)) != sum) return DataLoss("pages-1.img corrupt: checksum mismatch");
  unsigned long long counter = 0;
  if (std::sscanf(body.c_str(), "counter=%llu\n", &counter) != 1) {
    return DataLoss("pages-1.img corrupt: no counter in the process memory");
  }
  return static_cast<uint64_t>(counter);
}

Status FakeRuntime::Checkpoint(const std::string& id, const CheckpointOptions& opts) {
  auto rule = CheckSite("runtime.checkpoint", id);
  if (rule && rule->effect != FaultEffect::kPartialWrite) {
    return FaultPlan::InjectedError(*rule, "runtime.checkpoint", id);
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound("checkpoint " + id + ": container does not exist");
  const Container& c = it->second;
  if (c.status != RuntimeStatus::kRunning && c.status != RuntimeStatus::kPaused) {
    return FailedPrecondition("checkpoint " + id + ": container cannot be checkpointed in " +
                              StatusWord(c.status) + " state");
  }
  if (opts.image_path.empty()) return InvalidArgument("checkpoint " + id + ": no image path");
  // As CliRuntime: CRIU would dump init's tree only, so a detached exec that never daemonized
  // is named before anything is written.
  std::vector<StrayProcess> strays;
  for (const auto& e : c.execs) {
    if (!e.adopted) strays.push_back({e.pid, e.ns_pid, 0, e.comm});
  }
  if (!strays.empty()) return FailedPrecondition("fake: " + DescribeStrays(id, strays));
  const std::string& image = opts.image_path;
  const std::string work = opts.work_path.empty() ? image : opts.work_path;
  const std::string ctx = "checkpoint " + id;
  auto write = [&](const std::string& dir, const char* name, const std::string& data) {
    return fs_->WriteAtomic(JoinPath(dir, name), data).WithContext(ctx);
  };
  CRH_RETURN_IF_ERROR(fs_->MkdirAll(image).WithContext(ctx));
  CRH_RETURN_IF_ERROR(fs_->MkdirAll(work).WithContext(ctx));

  // State CRIU dumps only when asked, refused exactly as CRIU 4.2.1 words it; the process is
  // unfrozen and runs on.
  const char* refusal = nullptr;
  if (c.holds.tcp_established && !opts.tcp_established) {
    refusal = "(criu/sk-inet.c:200): inet: Connected TCP socket, consider using "
              "--tcp-established option.";
  } else if (c.holds.file_locks && !opts.file_locks) {
    refusal = "(criu/file-lock.c:110): Some file locks are hold by dumping tasks! You can try "
              "--file-locks to dump them.";
  }
  if (refusal) {
    const std::string line = std::string("Error ") + refusal;
    const std::string log = "(00.000001) Dumping container " + id + " (pid " +
                            std::to_string(c.pid) + ")\n(00.000200) " + line +
                            "\n(00.000300) Error (criu/cr-dump.c:1975): Dumping FAILED.\n";
    write(work, "dump.log", log).IgnoreError();  // best effort, as CRIU's own log is
    Log()->info("checkpoint {} refused: the process holds {}", id, c.holds.ToString());
    return Unavailable(ctx + ": criu failed: type DUMP; dump.log excerpt: " + line);
  }

  const std::string pages = EncodePages(c.counter);
  const std::string pagemap = "pages-1.img " + std::to_string(pages.size()) + "\n";
  const std::string log_head = "(00.000001) Dumping container " + id + " (pid " +
                               std::to_string(c.pid) + ")" +
                               (opts.pre_dump ? " [pre-dump]" : "") + "\n";
  if (rule) {
    // CRIU died mid-dump: some images are on disk, pages-1.img is torn, inventory.img never came.
    const std::string log =
        log_head + "(00.000412) Error (criu/page-xfer.c:1012): injected: write of pages failed\n" +
        "(00.000413) Dumping FAILED.\n";
    write(work, "dump.log", log).IgnoreError();  // best effort, as CRIU's own log is
    if (!opts.pre_dump) CRH_RETURN_IF_ERROR(write(image, "core-1.img", "pid=" +
                                                  std::to_string(c.pid) + "\n"));
    CRH_RETURN_IF_ERROR(write(image, "pagemap-1.img", pagemap));
    CRH_RETURN_IF_ERROR(write(image, "pages-1.img", pages.substr(0, pages.size() / 2)));
    Log()->info("runtime.checkpoint partial_write: {} left without inventory.img", image);
    Status s = FaultPlan::InjectedError(*rule, "runtime.checkpoint", id);
    return Status(s.code(), s.message() + "; dump.log: Error (criu/page-xfer.c:1012): write of "
                                          "pages failed")
        .MarkInjected("runtime.checkpoint");
  }

  if (opts.pre_dump) {
    CRH_RETURN_IF_ERROR(write(image, "pagemap-1.img", pagemap));
    CRH_RETURN_IF_ERROR(write(image, "pages-1.img", pages));
    CRH_RETURN_IF_ERROR(write(work, "dump.log",
                              log_head + "(00.000300) Pre-dumping finished successfully\n"));
    return Status::Ok();
  }
  CRH_RETURN_IF_ERROR(write(image, "core-1.img", "pid=" + std::to_string(c.pid) + "\nstatus=" +
                                                     StatusWord(c.status) + "\n"));
  CRH_RETURN_IF_ERROR(write(image, "pagemap-1.img", pagemap));
  CRH_RETURN_IF_ERROR(write(image, "pages-1.img", pages));
  CRH_RETURN_IF_ERROR(
      write(image, "descriptors.json", R"(["/dev/null","pipe:[10001]","pipe:[10002]"])"));
  CRH_RETURN_IF_ERROR(write(work, "stats-dump", EncodeStatsImage(DumpStatsFor(pages))));
  CRH_RETURN_IF_ERROR(
      write(work, "dump.log", log_head + "(00.000500) Dumping finished successfully\n"));
  std::string inventory = std::string(kInventoryMagic) + "\nid=" + id + "\n";
  if (!opts.parent_path.empty()) inventory += "parent=" + opts.parent_path + "\n";
  // What the dump carried besides memory (it only gets here with the matching flags).
  if (!c.holds.ToString().empty()) inventory += "holds=" + c.holds.ToString() + "\n";
  // Adopted exec'd processes are part of init's tree and of the image.
  std::string adopted;
  for (const auto& e : c.execs) adopted += (adopted.empty() ? "" : ",") + e.comm;
  if (!adopted.empty()) inventory += "execs=" + adopted + "\n";
  CRH_RETURN_IF_ERROR(write(image, "inventory.img", inventory));

  if (!opts.leave_running) containers_.erase(it);
  if (auto after = CheckSite("runtime.checkpoint.after_dump", id)) {
    return FaultPlan::InjectedError(*after, "runtime.checkpoint.after_dump", id);
  }
  return Status::Ok();
}

Status FakeRuntime::Restore(const std::string& id, const RestoreOptions& opts) {
  CRH_RETURN_IF_ERROR(MaybeFail("runtime.restore", id));
  if (!ValidId(id)) return InvalidArgument("restore: invalid container id \"" + id + "\"");
  std::lock_guard<std::mutex> lock(mu_);
  const std::string ctx = "restore " + id;
  if (containers_.count(id)) return AlreadyExists(ctx + ": container id is taken");
  if (opts.image_path.empty()) return InvalidArgument(ctx + ": no image path");
  const std::string& image = opts.image_path;
  const std::string work = opts.work_path.empty() ? image : opts.work_path;
  CRH_RETURN_IF_ERROR(fs_->MkdirAll(work).WithContext(ctx));

  std::string log = "(00.000001) Restoring container " + id + " from " + image + "\n";
  // CRIU writes restore.log whatever happens; the engine and people read it after a failure.
  auto fail = [&](Status s, const std::string& criu_line) {
    log += "(00.000120) Error " + criu_line + "\n(00.000121) Restoring FAILED.\n";
    fs_->WriteAtomic(JoinPath(work, "restore.log"), log).IgnoreError();  // already failing
    return s.WithContext(ctx);
  };

  const std::string inventory_path = JoinPath(image, "inventory.img");
  if (!fs_->Exists(inventory_path)) {
    return fail(NotFound(inventory_path + " missing (the image is incomplete)"),
                "(criu/image.c:458): Can't open inventory.img");
  }
  auto inventory = fs_->Read(inventory_path);
  if (!inventory.ok()) return fail(inventory.status(), "(criu/image.c:460): Can't read inventory");
  if (inventory->rfind(kInventoryMagic, 0) != 0) {
    return fail(DataLoss(inventory_path + " is corrupt"), "(criu/image.c:470): Bad inventory");
  }
  auto facts = ReadBundle(opts.bundle);
  if (!facts.ok()) return fail(facts.status(), "(runc): cannot load the bundle's config.json");
  HeldState held;
  if (size_t at = inventory->find("\nholds="); at != std::string::npos) {
    const std::string list = inventory->substr(at + 7, inventory->find('\n', at + 1) - at - 7);
    held.tcp_established = list.find("tcp-established") != std::string::npos;
    held.file_locks = list.find("file-locks") != std::string::npos;
  }
  if (held.tcp_established && !opts.tcp_established) {
    const std::string line = "(criu/sk-inet.c:912): inet: Connected TCP socket in image";
    return fail(Unavailable("criu failed: type RESTORE; restore.log excerpt: Error " + line), line);
  }
  if (held.file_locks && !opts.file_locks) {
    // CRIU restores such an image and silently leaves the locks out (prepare_file_locks()
    // returns at once without --file-locks): the process runs on without its locks.
    held.file_locks = false;
    log += "(00.000200) [fake] the image holds file locks; restored without them (no "
           "--file-locks)\n";
    Log()->info("restore {}: file locks in the image not restored (no --file-locks)", id);
  }

  const std::string pages_path = JoinPath(image, "pages-1.img");
  uint64_t counter = 0;
  if (!fs_->Exists(pages_path)) {
    const std::string line = "(criu/pagemap.c:218): pages-1.img missing";
    return fail(DataLoss(pages_path + " missing; restore.log excerpt: Error " + line), line);
  }
  auto pages = fs_->Read(pages_path);
  if (!pages.ok()) return fail(pages.status(), "(criu/pagemap.c:220): Can't read pages-1.img");
  auto decoded = DecodePages(*pages);
  if (!decoded.ok()) {
    const std::string line = "(criu/pagemap.c:342): " + decoded.status().message();
    return fail(DataLoss(pages_path + ": " + decoded.status().message() +
                         "; restore.log excerpt: Error " + line),
                line);
  }
  counter = *decoded;

  log += "(00.000300) Restore finished successfully\n";
  CRH_RETURN_IF_ERROR(fs_->WriteAtomic(JoinPath(work, "restore.log"), log).WithContext(ctx));
  CRH_RETURN_IF_ERROR(fs_->WriteAtomic(JoinPath(work, "stats-restore"),
                                       EncodeStatsImage(RestoreStatsFor(*pages)))
                          .WithContext(ctx));
  Container restored{.status = RuntimeStatus::kRunning,
                     .pid = next_pid_++,
                     .bundle = opts.bundle,
                     .netns = facts->netns,
                     .counter = counter,
                     .holds = held};
  if (size_t at = inventory->find("\nexecs="); at != std::string::npos) {
    std::stringstream list(inventory->substr(at + 7, inventory->find('\n', at + 1) - at - 7));
    std::string comm;
    while (std::getline(list, comm, ',')) {
      const int ns_pid = static_cast<int>(restored.execs.size()) + 2;
      restored.execs.push_back({next_pid_++, ns_pid, comm, /*adopted=*/true});
    }
  }
  containers_[id] = std::move(restored);
  if (auto after = CheckSite("runtime.restore.after_restore", id)) {
    return FaultPlan::InjectedError(*after, "runtime.restore.after_restore", id);
  }
  return Status::Ok();
}

std::optional<FakeRuntime::HeldState> FakeRuntime::HeldStateOf(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return std::nullopt;
  return it->second.holds;
}

std::vector<std::string> FakeRuntime::LiveContainers() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> ids;
  for (const auto& [id, c] : containers_) ids.push_back(id);
  return ids;
}

std::optional<uint64_t> FakeRuntime::Counter(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return std::nullopt;
  return it->second.counter;
}

void FakeRuntime::Tick(const std::string& id, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it != containers_.end() && it->second.status == RuntimeStatus::kRunning) {
    it->second.counter += n;
  }
}

std::optional<std::string> FakeRuntime::NetnsOf(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return std::nullopt;
  return it->second.netns;
}

std::optional<RuntimeStatus> FakeRuntime::StatusOf(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return std::nullopt;
  return it->second.status;
}

void FakeRuntime::ExitProcess(const std::string& id, int code) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end() || it->second.status == RuntimeStatus::kStopped) return;
  it->second.status = RuntimeStatus::kStopped;
  it->second.exit_code = code;
  it->second.execs.clear();  // init's exit kills its pid namespace
}

std::optional<int> FakeRuntime::ExitCode(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end() || it->second.status != RuntimeStatus::kStopped) {
    return std::nullopt;
  }
  return it->second.exit_code;
}

}  // namespace crh
