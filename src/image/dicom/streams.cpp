// DCMTK's streams over medcrypt's data: a Part 10 stream parsed from memory or a file, or written to a sink.
#include "image/dicom/streams.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcwcache.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "image/dicom/dataset.hpp"

namespace medcrypt::image::internal {
namespace {

// DCMTK's output stream writes into a fixed buffer and hands it back whenever it is full.
constexpr std::size_t kWriteChunk = 1 << 20;

class MemoryStreamFactory : public DcmInputStreamFactory {
 public:
  MemoryStreamFactory(ByteView data, offile_off_t offset) : data_(data), offset_(offset) {}
  DcmInputStream* create() const override {
    auto* stream = new MemoryInputStream(data_);
    stream->skip(offset_);
    return stream;
  }
  DcmInputStreamFactory* clone() const override { return new MemoryStreamFactory(*this); }
  DcmInputStreamFactoryType ident() const override { return DFT_DcmInputFileStreamFactory; }

 private:
  ByteView data_;
  offile_off_t offset_;
};

// Points the meta header at `xfer` if it says otherwise; the group length then changes with it.
Status set_meta_transfer_syntax(DcmMetaInfo& meta, E_TransferSyntax xfer) {
  OFString current;
  meta.findAndGetOFString(DCM_TransferSyntaxUID, current);
  const char* uid = DcmXfer(xfer).getXferID();
  if (trimmed_uid(current) == uid) return {};
  if (meta.putAndInsertString(DCM_TransferSyntaxUID, uid).bad() ||
      meta.computeGroupLengthAndPadding(EGL_withGL, EPD_noChange, EXS_LittleEndianExplicit).bad()) {
    return make_error(ErrorCode::kInternal, "cannot update the DICOM Transfer Syntax UID");
  }
  return {};
}

}  // namespace

void initialise_dcmtk() {
  static std::once_flag once;
  std::call_once(once, [] {
    // DCMTK logs parse problems to stderr; our one-line Error already says what went wrong.
    OFLog::configure(OFLogger::OFF_LOG_LEVEL);
    // By default DCMTK "corrects" values as it reads them (strips padding, pads odd lengths), so a file
    // written back would differ from the one read. medcrypt keeps attributes exactly as they came.
    dcmEnableAutomaticInputDataCorrection.set(OFFalse);
    // Registration touches a global codec list, so it happens once, before any thread decodes.
    DJDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

DcmInputStreamFactory* MemoryInputStream::newFactory() const {
  if (currentProducer() != raw_producer_) return nullptr;
  last_deferred_value_ = static_cast<std::uint64_t>(tell());
  return new MemoryStreamFactory(data_, tell());
}

template <typename Stream>
Status parse_file(DcmFileFormat& file, Stream& stream, std::uint64_t size) {
  file.transferInit();
  const OFCondition status = file.read(stream);
  if constexpr (requires { stream.inflation_exceeded(); }) {
    if (stream.inflation_exceeded()) {
      file.transferEnd();
      return make_error(ErrorCode::kLimits, fmt::format("deflated DICOM data set inflates to more than {} bytes",
                                                        stream.inflation_limit().value_or(0)));
    }
  }
  if (status.good()) {
    file.transferEnd();
    return {};
  }
  // Name the element the data ended in: one still being read, or one whose deferred value overruns the data.
  std::string message = fmt::format("malformed DICOM: {}", status.text());
  if (status == EC_StreamNotifyClient) message = "truncated DICOM: the data ends inside an element header";
  DcmDataset* dataset = file.getDataset();
  DcmElement* last = dataset->card() > 0 ? dataset->getElement(dataset->card() - 1) : nullptr;
  if (last != nullptr) {
    const std::uint64_t declared = last->getLengthField();
    const auto deferred = stream.last_deferred_value();
    if (last->transferState() != ERW_ready) {
      message = declared == DCM_UndefinedLength
                    ? fmt::format("truncated DICOM: the data ends inside {}", tag_name(last->getTag()))
                    : fmt::format("truncated DICOM: {} declares {} bytes but the data ends first",
                                  tag_name(last->getTag()), declared);
    } else if (!last->valueLoaded() && deferred && *deferred + declared > size) {
      message = fmt::format("truncated DICOM: {} declares {} bytes but only {} remain",
                            tag_name(last->getTag()), declared, size - *deferred);
    }
  }
  file.transferEnd();
  return make_error(ErrorCode::kInvalidImage, std::move(message));
}

template Status parse_file(DcmFileFormat& file, MemoryInputStream& stream, std::uint64_t size);
template Status parse_file(DcmFileFormat& file, FileInputStream& stream, std::uint64_t size);

bool has_preamble(ByteView head) {
  return head.size() >= kPreambleBytes && std::memcmp(head.data() + 128, "DICM", 4) == 0;
}

Status serialize(DcmFileFormat& file, E_TransferSyntax xfer, E_EncodingType encoding, bool preamble,
                 const ByteSink& sink) {
  DcmMetaInfo& meta = *file.getMetaInfo();
  E_FileWriteMode mode = EWM_fileformat;
  std::size_t cut = 0;
  if (meta.card() > 0) {
    MEDCRYPT_TRY(set_meta_transfer_syntax(meta, xfer));
    mode = EWM_dontUpdateMeta;
    cut = preamble ? 0 : kPreambleBytes;
  }
  // DcmFileFormat::write makes a meta header whatever the mode; a bare data set is written by the data set.
  const bool bare = meta.card() == 0 && !preamble;
  std::vector<std::uint8_t> chunk(kWriteChunk);
  DcmOutputBufferStream stream(chunk.data(), static_cast<offile_off_t>(chunk.size()));
  DcmWriteCache cache;
  Status written;
  file.transferInit();
  OFCondition status;
  auto hand_over = [&] {
    void* data = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(data, length);
    ByteView out(static_cast<const std::uint8_t*>(data), static_cast<std::size_t>(length));
    const std::size_t dropped = std::min(cut, out.size());
    cut -= dropped;
    written = sink(out.subspan(dropped));
  };
  do {
    status = bare ? file.getDataset()->write(stream, xfer, encoding, &cache, EGL_recalcGL)
                  : file.write(stream, xfer, encoding, &cache, EGL_recalcGL, EPD_noChange, 0, 0, 0, mode);
    hand_over();
  } while (written && status == EC_StreamNotifyClient);
  // A deflated syntax leaves the data set in the zlib filter until the stream is flushed; without this its
  // compressed bytes, every attribute, would be silently missing.
  while (written && status.good() && !stream.isFlushed()) {
    stream.flush();
    hand_over();
  }
  file.transferEnd();
  MEDCRYPT_TRY(written);
  if (status.bad()) {
    return make_error(ErrorCode::kInternal, fmt::format("DICOM encoding failed: {}", status.text()));
  }
  return {};
}

Result<Bytes> serialize(DcmFileFormat& file, E_TransferSyntax xfer, E_EncodingType encoding, bool preamble) {
  Bytes out;
  MEDCRYPT_TRY(serialize(file, xfer, encoding, preamble, [&out](ByteView data) -> Status {
    out.insert(out.end(), data.begin(), data.end());
    return {};
  }));
  return out;
}

}  // namespace medcrypt::image::internal
