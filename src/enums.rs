//! Vendor enumerations, matched case-insensitively, unknown values kept.
//!
//! The spec declares `PascalCase` (`VBR_VM`), payloads carry .NET camel case (`vbR_VM`),
//! and vendors add values between versions. So every enumeration here has an
//! `Other(String)` variant that keeps an unknown value as data (the audit reports it as
//! `unknown-enum-value`) instead of failing the load.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;

macro_rules! tolerant_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version of the tool does not know, as written.
            Other(String),
        }

        impl $name {
            /// The known values, in the spec's spelling.
            pub const KNOWN: &'static [&'static str] = &[$($text),*];

            /// Matches `text` case-insensitively against the known values.
            #[must_use]
            pub fn parse(text: &str) -> Self {
                $(if text.eq_ignore_ascii_case($text) { return Self::$variant; })*
                Self::Other(text.to_owned())
            }

            /// The spec's spelling of a known value, or the text of an unknown one.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(s) => s,
                }
            }

            /// Whether the value is one of [`Self::KNOWN`].
            #[must_use]
            pub const fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = Cow::<str>::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                let description = format!(
                    "One of {}; matched case-insensitively (payloads say `vbR_VM` for `VBR_VM`). An unknown value is accepted and reported by the audit.",
                    Self::KNOWN.join(", ")
                );
                json_schema!({
                    "type": "string",
                    "description": description,
                    "examples": Self::KNOWN,
                })
            }
        }
    };
}

tolerant_enum! {
    /// Status of a monthly report (API 3.5.1+). Only `Approved` is final.
    ReportStatus {
        /// Unknown.
        Unknown => "Unknown",
        /// Waiting for the provider's approval.
        ApprovalRequired => "ApprovalRequired",
        /// Being finalized.
        Finalization => "Finalization",
        /// Approved: final.
        Approved => "Approved",
    }
}

tolerant_enum! {
    /// Veeam product a license belongs to.
    ProductType {
        /// Unknown.
        Unknown => "Unknown",
        /// Veeam Backup & Replication.
        BackupAndReplication => "BackupAndReplication",
        /// Veeam Cloud Connect.
        CloudConnect => "CloudConnect",
        /// Enterprise Manager.
        EnterpriseManager => "EnterpriseManager",
        /// Veeam Backup for Microsoft 365.
        Vb365 => "VB365",
        /// Veeam ONE.
        Vone => "VONE",
        /// Veeam Service Provider Console.
        Vspc => "VSPC",
        /// Veeam Data Platform (3.6+).
        Vdp => "VDP",
    }
}

tolerant_enum! {
    /// Kind of organization in `organizationsUsage`.
    OrganizationType {
        /// Unknown.
        Unknown => "Unknown",
        /// A tenant company.
        Company => "Company",
        /// The provider itself.
        Provider => "Provider",
        /// A reseller.
        Reseller => "Reseller",
    }
}

tolerant_enum! {
    /// Unit of a Cloud Connect license counter.
    UnitType {
        /// Unknown.
        Unknown => "Unknown",
        /// Counted in instances.
        Instances => "Instances",
        /// Counted in points.
        Points => "Points",
    }
}

tolerant_enum! {
    /// Type of protected workload (29 values in API 3.5.1 to 3.6.1, plus older spellings).
    WorkloadType {
        /// Unknown.
        Unknown => "Unknown",
        /// Dynamic.
        Dynamic => "Dynamic",
        /// VSPC-managed server agent.
        VacServerAgent => "VAC_Server_Agent",
        /// VSPC-managed workstation agent.
        VacWorkstationAgent => "VAC_Workstation_Agent",
        /// VBR virtual machine.
        VbrVm => "VBR_VM",
        /// VBR server agent.
        VbrServerAgent => "VBR_Server_Agent",
        /// VBR workstation agent.
        VbrWorkstationAgent => "VBR_Workstation_Agent",
        /// VBR application plug-ins.
        VbrApplicationPlugins => "VBR_Application_Plugins",
        /// VBR cloud VM.
        VbrCloudVm => "VBR_Cloud_VM",
        /// VBR cloud database.
        VbrCloudDatabase => "VBR_Cloud_Database",
        /// VBR cloud file share.
        VbrCloudFileShare => "VBR_Cloud_File_Share",
        /// VBR NAS backup.
        VbrNasBackup => "VBR_NAS_Backup",
        /// VBR NAS server.
        VbrNasServer => "VBR_NAS_Server",
        /// VBR tape backup.
        VbrTapeBackup => "VBR_Tape_Backup",
        /// VBR tape server.
        VbrTapeServer => "VBR_Tape_Server",
        /// Cloud Connect VM backup.
        CcVmBackup => "CC_VM_Backup",
        /// Cloud Connect VM replica.
        CcVmReplica => "CC_VM_Replica",
        /// Cloud Connect server backup.
        CcServerBackup => "CC_Server_Backup",
        /// Cloud Connect workstation backup.
        CcWorkstationBackup => "CC_Workstation_Backup",
        /// Microsoft 365 user.
        Vb365User => "VB365_User",
        /// Veeam ONE VM.
        VoneVm => "VONE_VM",
        /// Veeam ONE server agent.
        VoneServerAgent => "VONE_Server_Agent",
        /// Veeam ONE workstation agent.
        VoneWorkstationAgent => "VONE_Workstation_Agent",
        /// Veeam ONE cloud VM.
        VoneCloudVm => "VONE_Cloud_VM",
        /// Veeam ONE cloud database.
        VoneCloudDatabase => "VONE_Cloud_Database",
        /// Veeam ONE cloud file share.
        VoneCloudFileShare => "VONE_Cloud_File_Share",
        /// Veeam ONE NAS backup (the vendor spells it `Nas`).
        VoneNasBackup => "VONE_Nas_Backup",
        /// Veeam ONE tape backup.
        VoneTapeBackup => "VONE_Tape_Backup",
        /// Veeam ONE user.
        VoneUser => "VONE_User",
        /// Older consoles: vSphere VM.
        VbrVsphereVm => "VBR_vSphere_VM",
        /// Older consoles: Hyper-V VM.
        VbrHyperVVm => "VBR_HyperV_VM",
        /// Older consoles: Nutanix VM.
        VbrNutanixVm => "VBR_Nutanix_VM",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_match() {
        assert_eq!(WorkloadType::parse("vbR_VM"), WorkloadType::VbrVm);
        assert_eq!(WorkloadType::parse("VBR_VM"), WorkloadType::VbrVm);
        assert_eq!(
            WorkloadType::parse("vaC_Server_Agent"),
            WorkloadType::VacServerAgent
        );
        assert_eq!(
            WorkloadType::parse("cC_VM_Replica"),
            WorkloadType::CcVmReplica
        );
        assert_eq!(WorkloadType::parse("vonE_VM"), WorkloadType::VoneVm);
        assert_eq!(ProductType::parse("vB365"), ProductType::Vb365);
        assert_eq!(
            ProductType::parse("backupAndReplication"),
            ProductType::BackupAndReplication
        );
        assert_eq!(ProductType::parse("vspc"), ProductType::Vspc);
        assert_eq!(
            OrganizationType::parse("company"),
            OrganizationType::Company
        );
        assert_eq!(UnitType::parse("points"), UnitType::Points);
        assert_eq!(ReportStatus::parse("approved"), ReportStatus::Approved);
        assert_eq!(WorkloadType::parse("vbR_VM").as_str(), "VBR_VM");
    }

    #[test]
    fn unknown_values_are_kept() {
        let w = WorkloadType::parse("VBR_Quantum_VM");
        assert_eq!(w, WorkloadType::Other("VBR_Quantum_VM".into()));
        assert!(!w.is_known());
        assert_eq!(w.as_str(), "VBR_Quantum_VM");
        let w: WorkloadType = serde_json::from_str("\"vbr_vm\"").unwrap();
        assert_eq!(w, WorkloadType::VbrVm);
    }

    #[test]
    fn known_lists_have_no_duplicates_ignoring_case() {
        for list in [
            WorkloadType::KNOWN,
            ProductType::KNOWN,
            OrganizationType::KNOWN,
            UnitType::KNOWN,
            ReportStatus::KNOWN,
        ] {
            let mut lower: Vec<String> = list.iter().map(|s| s.to_ascii_lowercase()).collect();
            lower.sort();
            let n = lower.len();
            lower.dedup();
            assert_eq!(lower.len(), n);
        }
    }
}
