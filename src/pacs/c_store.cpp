// DICOM C-STORE to a storage SCP with DCMTK's DcmSCU; DCMTK's types stay in this file.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/scu.h>

#include <fmt/format.h>

#include "pacs/internal/deliveries.hpp"

namespace medcrypt::pacs::internal {
namespace {

constexpr const char* kCallingAet = "MEDCRYPT";

Error store_error(const net::Url& to, std::string_view what, const OFCondition& cond) {
  return make_error(ErrorCode::kIo, fmt::format("C-STORE to {}@{}:{}: {}: {}", to.user, to.host, to.port, what,
                                                cond.text()));
}

}  // namespace

Status c_store(const net::Url& to, const std::filesystem::path& dicom_file) {
  DcmFileFormat file;
  OFCondition cond = file.loadFile(dicom_file.c_str());
  if (cond.bad()) {
    return make_error(ErrorCode::kInvalidImage, fmt::format("{}: {}", dicom_file.string(), cond.text()));
  }
  OFString sop_class;
  if (file.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPClassUID, sop_class).bad() &&
      file.getDataset()->findAndGetOFString(DCM_SOPClassUID, sop_class).bad()) {
    return make_error(ErrorCode::kInvalidImage, fmt::format("{}: no SOP Class UID", dicom_file.string()));
  }
  const OFString xfer = DcmXfer(file.getDataset()->getOriginalXfer()).getXferID();

  DcmSCU scu;
  scu.setAETitle(kCallingAet);
  scu.setPeerHostName(to.host.c_str());
  scu.setPeerPort(to.port);
  scu.setPeerAETitle(to.user.c_str());
  scu.setConnectionTimeout(30);
  scu.setACSETimeout(30);
  scu.setDIMSETimeout(60);
  // The file's own transfer syntax first, so that it arrives byte for byte; the uncompressed ones as
  // a fallback, with DCMTK converting the dataset.
  OFList<OFString> syntaxes;
  syntaxes.push_back(xfer);
  for (const char* uid : {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax}) {
    if (xfer != uid) syntaxes.push_back(uid);
  }
  scu.setDatasetConversionMode(OFTrue);
  cond = scu.addPresentationContext(sop_class, syntaxes);
  if (cond.good()) cond = scu.initNetwork();
  if (cond.bad()) return store_error(to, "cannot set up", cond);
  cond = scu.negotiateAssociation();
  if (cond.bad()) return store_error(to, "association refused", cond);
  T_ASC_PresentationContextID context = scu.findAnyPresentationContextID(sop_class, xfer);
  if (context == 0) {
    scu.releaseAssociation();
    return make_error(ErrorCode::kUnsupported, fmt::format("C-STORE to {}@{}:{}: SOP class {} not accepted", to.user,
                                                           to.host, to.port, sop_class.c_str()));
  }
  Uint16 status = 0;
  cond = scu.sendSTORERequest(context, OFFilename(dicom_file.c_str()), nullptr, status);
  scu.releaseAssociation();
  if (cond.bad()) return store_error(to, "C-STORE failed", cond);
  // 0000: success; Bxxx: stored with a warning (e.g. coerced elements).
  if (status != 0 && (status & 0xF000) != 0xB000) {
    return make_error(ErrorCode::kIo, fmt::format("C-STORE to {}@{}:{}: the SCP answered status {:04X}", to.user,
                                                  to.host, to.port, status));
  }
  return {};
}

}  // namespace medcrypt::pacs::internal
