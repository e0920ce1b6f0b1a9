// The diagram a new process starts from: a pool with two lanes (the member who
// applies, the branch secretary who reviews), a start event, two user tasks with
// stages and due dates, an end event. It deploys as it is and passes the lint rules.
window.VGTemplate = function (key, name) {
  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
  const k = esc(key), n = esc(name);
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Definitions_${k}" targetNamespace="http://vanguard.example/bpmn">
  <bpmn:collaboration id="Collaboration_${k}">
    <bpmn:participant id="Participant_${k}" name="${n}" processRef="${k}" />
  </bpmn:collaboration>
  <bpmn:process id="${k}" name="${n}" isExecutable="true">
    <bpmn:laneSet id="LaneSet_${k}">
      <bpmn:lane id="Lane_applicant" name="党员 [member]">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_fill</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_reviewer" name="支部书记 [secretary]">
        <bpmn:flowNodeRef>Task_review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1" name="发起">
      <bpmn:outgoing>Flow_1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="Task_fill" name="填写">
      <bpmn:documentation>请填写表单并提交。</bpmn:documentation>
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="stage" value="apply" />
          <spiffworkflow:property name="stage_label" value="填报" />
          <spiffworkflow:property name="assignee" value="started_by" />
          <spiffworkflow:property name="due" value="5 working days" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="Task_review" name="审核">
      <bpmn:documentation>请核对填报内容。</bpmn:documentation>
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="stage" value="review" />
          <spiffworkflow:property name="stage_label" value="审核" />
          <spiffworkflow:property name="due" value="3 working days" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_2</bpmn:incoming>
      <bpmn:outgoing>Flow_3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1" name="完成">
      <bpmn:incoming>Flow_3</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_fill" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_fill" targetRef="Task_review" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_review" targetRef="EndEvent_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_${k}">
    <bpmndi:BPMNPlane id="Plane_${k}" bpmnElement="Collaboration_${k}">
      <bpmndi:BPMNShape id="Participant_${k}_di" bpmnElement="Participant_${k}" isHorizontal="true">
        <dc:Bounds x="120" y="60" width="700" height="320" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_applicant_di" bpmnElement="Lane_applicant" isHorizontal="true">
        <dc:Bounds x="150" y="60" width="670" height="160" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_reviewer_di" bpmnElement="Lane_reviewer" isHorizontal="true">
        <dc:Bounds x="150" y="220" width="670" height="160" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="202" y="122" width="36" height="36" />
        <bpmndi:BPMNLabel><dc:Bounds x="207" y="165" width="26" height="14" /></bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Task_fill_di" bpmnElement="Task_fill">
        <dc:Bounds x="300" y="100" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Task_review_di" bpmnElement="Task_review">
        <dc:Bounds x="480" y="260" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="EndEvent_1_di" bpmnElement="EndEvent_1">
        <dc:Bounds x="672" y="282" width="36" height="36" />
        <bpmndi:BPMNLabel><dc:Bounds x="677" y="325" width="26" height="14" /></bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_1_di" bpmnElement="Flow_1">
        <di:waypoint x="238" y="140" />
        <di:waypoint x="300" y="140" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_2_di" bpmnElement="Flow_2">
        <di:waypoint x="400" y="140" />
        <di:waypoint x="530" y="140" />
        <di:waypoint x="530" y="260" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_3_di" bpmnElement="Flow_3">
        <di:waypoint x="580" y="300" />
        <di:waypoint x="672" y="300" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
};
